# AWS VDA pool (eu-west-1), subnet 10.40.1.0/24, reached from the site over a
# VPN through the Azure hub.

variable "vpc_id" {
  type    = string
  default = "vpc-0c1d2e3f4a5b6c7d8"
}

locals {
  gateway_snip = "10.20.0.20/32"
  user_lan     = "10.60.0.0/16"
  controllers  = ["10.10.1.11/32", "10.10.1.12/32"]
}

# citrix-role: vda
resource "aws_security_group" "vda" {
  name        = "citrix-vda"
  description = "Citrix VDAs in the AWS pool"
  vpc_id      = var.vpc_id

  # Terraform removes the default allow-all egress rule of a security group it
  # manages. Nobody added egress rules here, so the VDAs cannot register with
  # the Delivery Controllers, fetch FAS certificates or reach the domain.

  tags = {
    Name = "citrix-vda"
  }
}

resource "aws_vpc_security_group_ingress_rule" "hdx_tcp_from_gateway" {
  security_group_id = aws_security_group.vda.id
  description       = "ICA and CGP (session reliability) from the Gateway SNIP"
  cidr_ipv4         = local.gateway_snip
  ip_protocol       = "tcp"
  from_port         = 1494
  to_port           = 1494
}

resource "aws_vpc_security_group_ingress_rule" "cgp_tcp_from_gateway" {
  security_group_id = aws_security_group.vda.id
  cidr_ipv4         = local.gateway_snip
  ip_protocol       = "tcp"
  from_port         = 2598
  to_port           = 2598
}

resource "aws_vpc_security_group_ingress_rule" "edt_from_gateway" {
  for_each          = toset(["1494", "2598"])
  security_group_id = aws_security_group.vda.id
  description       = "EDT (UDP ${each.value}) from the Gateway SNIP"
  cidr_ipv4         = local.gateway_snip
  ip_protocol       = "udp"
  from_port         = tonumber(each.value)
  to_port           = tonumber(each.value)
}

resource "aws_vpc_security_group_ingress_rule" "audio_from_gateway" {
  security_group_id = aws_security_group.vda.id
  cidr_ipv4         = local.gateway_snip
  ip_protocol       = "udp"
  from_port         = 16500
  to_port           = 16509
}

resource "aws_vpc_security_group_ingress_rule" "hdx_from_users" {
  security_group_id = aws_security_group.vda.id
  description       = "Everything from the head-office LAN (HDX over TCP and UDP, helpdesk tools)"
  cidr_ipv4         = local.user_lan
  ip_protocol       = "-1"
}

resource "aws_vpc_security_group_ingress_rule" "discovery_from_controllers" {
  for_each          = toset(local.controllers)
  security_group_id = aws_security_group.vda.id
  description       = "VDA discovery from the Controllers"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
}

resource "aws_vpc_security_group_ingress_rule" "lhc_from_controllers" {
  for_each          = toset(local.controllers)
  security_group_id = aws_security_group.vda.id
  description       = "Local host cache from the Controllers"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 89
  to_port           = 89
}

resource "aws_vpc_security_group_ingress_rule" "ldap_from_director" {
  for_each          = toset(["10.10.1.60/32", "10.10.9.0/24"])
  security_group_id = aws_security_group.vda.id
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 389
  to_port           = 389
}
